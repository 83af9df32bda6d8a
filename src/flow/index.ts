export { FlowTable, FLOW_BASE_BYTES, type FlowTableOptions } from './flow-table.ts';
export { TcpReassembler, defaultReassemblerOptions, type OverlapPolicy, type TcpReassemblerOptions } from './tcp/reassembler.ts';
export { sequenceAdd, sequenceBefore, sequenceDiff } from './tcp/sequence.ts';
export { isServicePort, sourceLooksLikeClient, udpSourceLooksLikeClient } from './client-guess.ts';
export { StreamBuffer } from './stream-buffer.ts';
export { ChunkPool, CHUNK_CLASS_BYTES } from './chunk-pool.ts';
