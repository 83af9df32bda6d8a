import type { BehaviourTrace } from '../../emulator/index.ts';

/**
 * The evidence folder's trace.txt: for each run, a header line, then one line per recorded call
 * (`sequence  instruction  api  summary`), then the disassembly listing when the profile had a
 * disassembler. Plain text so it reads in any viewer and diffs well.
 */
export function formatTraceText(traces: readonly BehaviourTrace[]): string {
  const lines: string[] = [];
  traces.forEach((trace, index) => {
    if (index > 0) lines.push('');
    lines.push(
      `# run ${index + 1}: ${trace.os} ${trace.bits}-bit, entry offset 0x${trace.entryOffset.toString(16)}, ` +
        `${trace.instructionCount} instructions, ended ${trace.endReason}${trace.endDetail ? ` (${trace.endDetail})` : ''}, ` +
        `virtual time ${trace.virtualTimeMs} ms`,
    );
    if (trace.decoderLoop !== undefined) {
      lines.push(`# decoder loop: decoded code starts at offset 0x${trace.decoderLoop.decodedEntryOffset.toString(16)}, ${trace.decoderLoop.bytesWritten} bytes written`);
    }
    for (const event of trace.events) lines.push(`${event.sequence}\t${event.instruction}\t${event.api}\t${oneLine(event.summary)}`);
    if (trace.droppedEvents > 0) lines.push(`# ${trace.droppedEvents} more events not kept (trace full)`);
    if (trace.listing !== undefined && trace.listing.length > 0) {
      lines.push('# listing (last instructions run)');
      lines.push(...trace.listing);
    }
  });
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Summaries quote attacker strings: a newline in one must not forge a trace line. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\t]/g, (character) => (character === '\t' ? '\\t' : character === '\n' ? '\\n' : '\\r'));
}
