export * from './svd.js';
export * from './symmetricEigen.js';
export * from './rank.js';
export * from './layers.js';
export * from './factorize.js';
