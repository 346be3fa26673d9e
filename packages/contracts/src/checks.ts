import type { BodyCheck } from './frames.js';

/** Tiny shape checks for channel bodies: enough to protect a handler, cheap enough for every frame. */
type Kind = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'string|null' | 'number|null';

export function fields(shape: Readonly<Record<string, Kind>>): BodyCheck {
  const entries = Object.entries(shape);
  return (body) => {
    for (const [key, kind] of entries) {
      const v = body[key];
      if (!matches(v, kind)) return `field ${key} must be ${kind}`;
    }
    return null;
  };
}

function matches(v: unknown, kind: Kind): boolean {
  switch (kind) {
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    case 'string|null':
      return v === null || typeof v === 'string';
    case 'number|null':
      return v === null || (typeof v === 'number' && Number.isFinite(v));
  }
}
