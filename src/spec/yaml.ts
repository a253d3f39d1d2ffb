// The positional YAML parser (eemeli/yaml), loaded on first use: a clean lab file is read by the
// faster js-yaml alone, and positions are needed only to place diagnostics.
import { createRequire } from 'node:module';

type Yaml = typeof import('yaml');
let yaml: Yaml | undefined;

export function positionalYaml(): Yaml {
  yaml ??= createRequire(import.meta.url)('yaml') as Yaml;
  return yaml;
}
