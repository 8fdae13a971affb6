// Node-only entry of @worldstrat/stratify (the only place node:* modules are imported).
export * from './index.js';
export { openClassRasterFile, openClassRasterPathOrUrl } from './lookup/open-class-raster-file.node.js';
