/**
 * Fields that differ between the capture and the dummy (in the spirit of RolePlayer, NDSS 2006):
 * the server hands out identifiers (SMB session, tree and file ids, cookies) that the client echoes
 * later. An adapter learns, from each captured server turn and the dummy's answer to the same
 * request, which captured value became which dummy value, and rewrites the client's later turns.
 */
export interface FieldAdapter {
  readonly name: string;
  /** what the captured server sent, and what the dummy answered to the same request */
  learn(captured: Uint8Array, answered: Uint8Array): void;
  /** the next client turn, with learned values replaced; the same array when nothing changed */
  rewrite(clientTurn: Uint8Array): Uint8Array;
  /** how many fields were rewritten so far (evidence of how far the capture and the dummy differ) */
  readonly rewrites: number;
}
