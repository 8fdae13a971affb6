// Node-only entry of @worldstrat/geo-sampling (the only place node:* modules are imported).
export * from './index.js';
export type {
  AoiFileFormat,
  ReadAoisFileOptions,
  WriteAoisFileOptions,
} from './table/aoi-files.node.js';
export { readAoisFile, readPoisFile, writeAoisFile } from './table/aoi-files.node.js';
