// Node-only entry of @worldstrat/srnet (the only place node:* modules are imported).
export * from './index.js';
