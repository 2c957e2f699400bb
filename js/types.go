package js

import _ "embed"

// TypeDeclarations is jsload.d.ts: TypeScript declarations of the built-in
// modules and globals, which `jsload init` writes for editors. A test keeps
// it in step with the modules' real exports.
//
//go:embed jsload.d.ts
var TypeDeclarations string
