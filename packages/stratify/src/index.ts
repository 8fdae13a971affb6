// Public API of @worldstrat/stratify: named re-exports only.
export {};
