import { CONFIG_SCHEMA } from './config-schema.js';

export interface ConfigKeyDoc {
  readonly key: string;
  readonly default: string;
  readonly unit: string;
  readonly why: string;
}

interface Node {
  readonly type?: string;
  readonly properties?: Readonly<Record<string, Node>>;
  readonly default?: unknown;
  readonly description?: string;
  readonly 'x-unit'?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly 'x-maximum'?: string;
}

/** Every leaf key of the configuration schema with its default, unit and reason, in schema order. */
export function configKeyDocs(): ConfigKeyDoc[] {
  const out: ConfigKeyDoc[] = [];
  const walk = (node: Node, prefix: string): void => {
    for (const [k, child] of Object.entries(node.properties ?? {})) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (child.type === 'object' && child.properties) walk(child, key);
      else out.push({ key, default: JSON.stringify(child.default), unit: child['x-unit'] ?? '', why: child.description ?? '' });
    }
  };
  walk(CONFIG_SCHEMA as unknown as Node, '');
  return out;
}

/** The markdown table as docs/00_SOURCE_OF_TRUTH.md carries it. */
export function configDocTable(): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const rows = configKeyDocs().map((d) => `| \`${d.key}\` | \`${esc(d.default)}\` | ${d.unit} | ${esc(d.why)} |`);
  return ['| key | default | unit | why |', '|---|---|---|---|', ...rows].join('\n');
}

export interface ConfigBoundDoc {
  readonly key: string;
  readonly minimum: string;
  readonly maximum: string;
  readonly unit: string;
}

/** The range of every numeric key (integers, and decimal amounts whose ceiling is x-maximum), in schema order. */
export function configBounds(): ConfigBoundDoc[] {
  const out: ConfigBoundDoc[] = [];
  const walk = (node: Node, prefix: string): void => {
    for (const [k, child] of Object.entries(node.properties ?? {})) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (child.type === 'object' && child.properties) walk(child, key);
      else if (child.type === 'integer')
        out.push({ key, minimum: String(child.minimum ?? ''), maximum: String(child.maximum ?? ''), unit: child['x-unit'] ?? '' });
      else if (child['x-maximum'] !== undefined) out.push({ key, minimum: '0', maximum: child['x-maximum'], unit: child['x-unit'] ?? '' });
    }
  };
  walk(CONFIG_SCHEMA as unknown as Node, '');
  return out;
}

/** The bounds table of docs/00_SOURCE_OF_TRUTH.md (between the config-bounds markers). */
export function configBoundsTable(): string {
  const rows = configBounds().map((b) => `| \`${b.key}\` | ${b.minimum} | ${b.maximum} | ${b.unit} |`);
  return ['| key | minimum | maximum | unit |', '|---|---|---|---|', ...rows].join('\n');
}
