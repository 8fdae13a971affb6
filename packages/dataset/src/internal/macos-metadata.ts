// Finder on macOS adds `__MACOSX/<path>/._<name>` entries (AppleDouble metadata) to the zips it makes, and writes
// `._<name>` beside each file on FAT, exFAT and SMB drives. They are never layout files.

/** The folder Finder puts its metadata entries under in a zip. */
export const MACOS_METADATA_DIR = '__MACOSX';
