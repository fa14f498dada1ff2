// Who answered an AI request: the local model (offline, deterministic) or Gemini, and why the
// local one stepped in when it did.
import type { ProviderInfo } from "../api/types.gen";

export function providerLabel(provider: ProviderInfo | undefined): string {
  if (!provider?.name) return "";
  if (provider.name === "local") return "Local assistant";
  if (provider.name === "gemini") return "Gemini";
  return provider.name;
}

export default function ProviderBadge({ provider, compact = false }: { provider?: ProviderInfo; compact?: boolean }) {
  if (!provider?.name) return null;
  const local = provider.name === "local";
  const note = provider.fellBack
    ? `The external AI did not answer, so the local assistant did${provider.reason ? `: ${provider.reason}` : "."}`
    : provider.reason;
  return (
    <div className="flex flex-wrap items-center gap-2 text-xs" data-testid="provider-badge" data-provider={provider.name}>
      <span
        className={`inline-flex items-center gap-1 rounded-full px-2 py-0.5 font-medium ${
          local ? "bg-slate-100 text-slate-700 ring-1 ring-slate-300" : "bg-indigo-50 text-indigo-800 ring-1 ring-indigo-200"
        }`}
        title={provider.model ? `Model: ${provider.model}` : undefined}
      >
        <span aria-hidden="true">{local ? "●" : "✦"}</span>
        {providerLabel(provider)}
        {local && !compact && <span className="font-normal text-slate-600">· offline, on this server</span>}
      </span>
      {provider.fellBack && (
        <span className="rounded-full bg-amber-50 px-2 py-0.5 font-medium text-amber-800 ring-1 ring-amber-200">
          Fell back
        </span>
      )}
      {note && <span className="text-slate-600" data-testid="provider-reason">{note}</span>}
    </div>
  );
}
