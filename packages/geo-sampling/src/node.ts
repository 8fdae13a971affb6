// Node-only entry of @worldstrat/geo-sampling (the only place node:* modules are imported).
export * from './index.js';
