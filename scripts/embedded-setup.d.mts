/** Types of scripts/embedded-setup.mjs for the test that checks where the embedded default keeps its state. */
export interface EmbeddedPaths {
  readonly varDir: string;
  readonly demoDir: string;
  readonly config: string;
  readonly secrets: string;
  readonly simKeys: string;
  readonly simState: string;
  readonly aiKey: string;
  readonly liveLock: string;
}
export function embeddedPaths(root: string): EmbeddedPaths;
export function prepareEmbedded(root: string): {
  readonly paths: EmbeddedPaths;
  readonly secrets: { readonly api_key: string; readonly api_secret: string };
  readonly notes: readonly string[];
};
export function embeddedConfig(
  paths: EmbeddedPaths,
  sim: { readonly rest: string; readonly ws: string },
  ai: { readonly base_url: string; readonly model: string },
): { readonly paths: { readonly var_dir: string } } & Record<string, unknown>;
