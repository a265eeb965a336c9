import { bmfExporter } from "./bmf.js";
import { csvExporter } from "./csv.js";
import type { Exporter } from "./exporter.js";
import { gabExporter } from "./gab.js";
import { jsonExporter } from "./json.js";

export type { Exporter } from "./exporter.js";

/** Every `bench export --format`, in the order `--help` lists them. */
export const EXPORTERS: readonly Exporter[] = [csvExporter, jsonExporter, bmfExporter, gabExporter];

export function exporterNamed(name: string): Exporter | undefined {
  return EXPORTERS.find((e) => e.name === name);
}
