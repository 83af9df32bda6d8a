export { EvidenceWriter, EVIDENCE_FILES, type EvidenceRecord, type WrittenEvidence } from './evidence-writer.ts';
export type { EgressExchange } from './egress-exchange.ts';
export { synthesizeEgressFrames } from './synthesize-egress-frames.ts';
export { formatTraceText } from './format-trace-text.ts';
export { buildReplayBundle, type ReplayBundle, type ReplayBundleCompanion, type ReplayBundleInput, type ReplayBundlePeer, type ReplayBundlePeerInput, type ReplayBundleTurn } from './replay-bundle.ts';
export { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, decodeBundle, encodeBundle } from './bundle-json.ts';
export { readBundle, writeBundle } from './bundle-file.ts';
