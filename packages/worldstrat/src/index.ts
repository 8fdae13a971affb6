// Public API of worldstrat: named re-exports only.
export {};
