// Public API of @worldstrat/eo-fetch: named re-exports only.
export {};
