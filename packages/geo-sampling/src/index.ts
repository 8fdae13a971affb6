// Public API of @worldstrat/geo-sampling: named re-exports only.
export {};
