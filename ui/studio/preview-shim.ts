// Stands in for Tauri inside the studio's preview frame (see studio-api).
export {};
