-- The plugin's version: the same string as the daemon's `silcrow.__version__`
-- and the VS Code extension's package.json (scripts/check-version keeps them equal).
return "0.1.0"
