// Node-only entry of @worldstrat/raster-io (the only place node:* modules are imported).
export * from './index.js';
