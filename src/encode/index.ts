export * from './bits.js';
export * from './huffman.js';
export * from './kmeans.js';
export * from './sparseIndex.js';
export * from './weightSharing.js';
export * from './dcFormat.js';
export * from './sizeReport.js';
export * from './deepCompression.js';
