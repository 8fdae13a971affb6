// Node-only entry of worldstrat (the only place node:* modules are imported).
export * from './index.js';
