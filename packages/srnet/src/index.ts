// Public API of @worldstrat/srnet: named re-exports only.
export {};
