// Public API of @worldstrat/metrics: named re-exports only.
export {};
