/**
 * How a page names the client-side vulnerability it aims at: the vulnerable component it
 * instantiates or the API it calls, as the public bulletins and advisories describe them (the
 * ActiveX class id of the control, the PDF JavaScript method). These are facts about the
 * vulnerable software, not about any one exploit kit. A marker alone is not an exploit: the browser
 * names a vulnerability only when the same page also carries attacker code.
 */
export interface ClientVulnerabilityMarker {
  /** the catalogue's id (bulletin or CVE) */
  vulnerability: string;
  /** what reaches it, for the evidence line */
  component: string;
  matches: (text: string) => boolean;
}

const all =
  (...patterns: RegExp[]) =>
  (text: string): boolean =>
    patterns.every((pattern) => pattern.test(text));

export const CLIENT_VULNERABILITY_MARKERS: readonly ClientVulnerabilityMarker[] = [
  { vulnerability: 'MS06-014', component: 'RDS.DataSpace ActiveX (MDAC)', matches: all(/BD96C556-65A3-11D0-983A-00C04FC29E36/i) },
  { vulnerability: 'MS09-032', component: 'Microsoft Video ActiveX (msvidctl.dll)', matches: all(/0955AC62-BF2E-4CBA-A2B9-A63F772D46CF/i) },
  { vulnerability: 'MS06-055', component: 'VML fill method (vgx.dll)', matches: all(/urn:schemas-microsoft-com:vml/i, /method\s*=\s*["']?[^"'\s>]{256}/i) },
  { vulnerability: 'MS10-018', component: 'iepeers.dll userData behaviour', matches: all(/#default#userData/i, /setAttribute\s*\(/) },
  { vulnerability: 'MS10-002', component: 'mshtml event object after its element is freed', matches: all(/createEventObject\s*\(/, /srcElement/) },
  { vulnerability: 'CVE-2009-4324', component: 'Adobe Reader media.newPlayer', matches: all(/media\s*\.\s*newPlayer\s*\(/) },
  { vulnerability: 'CVE-2009-0927', component: 'Adobe Reader Collab.getIcon', matches: all(/Collab\s*\.\s*getIcon\s*\(/) },
  { vulnerability: 'CVE-2008-2992', component: 'Adobe Reader util.printf', matches: all(/util\s*\.\s*printf\s*\(/) },
  { vulnerability: 'CVE-2007-5659', component: 'Adobe Reader Collab.collectEmailInfo', matches: all(/Collab\s*\.\s*collectEmailInfo\s*\(/) },
];

/** the markers a page's text (scripts and what they decode to) carries */
export function namedVulnerabilities(text: string): ClientVulnerabilityMarker[] {
  return CLIENT_VULNERABILITY_MARKERS.filter((marker) => marker.matches(text));
}

/** the id reported when attacker code runs but the page names no vulnerability */
export const GENERIC_CLIENT_EXPLOIT = 'client-side-code-execution';
