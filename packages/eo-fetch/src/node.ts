// Node-only entry of @worldstrat/eo-fetch (the only place node:* modules are imported).
export * from './index.js';
