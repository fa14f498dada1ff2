// /assistant: the career-assistant chat (streamed answers) and interview preparation, as two
// tabs. `?tab=interview` opens the preparation; `&job=<id>` preselects a saved job there.
import { useEffect, useRef, type KeyboardEvent } from "react";
import { useSearchParams } from "react-router-dom";
import ChatPanel from "../insights/ChatPanel";
import { jobName } from "../insights/format";
import InterviewPrep from "../insights/InterviewPrep";
import { useJobs } from "../insights/useJobs";

const TABS = [
  { id: "chat", label: "Career assistant" },
  { id: "interview", label: "Interview prep" },
] as const;
type Tab = (typeof TABS)[number]["id"];

export default function Assistant() {
  const [params, setParams] = useSearchParams();
  const tab: Tab = params.get("tab") === "interview" ? "interview" : "chat";
  const job = params.get("job");
  const jobs = useJobs();
  const tabRefs = useRef<Record<Tab, HTMLButtonElement | null>>({ chat: null, interview: null });

  useEffect(() => {
    document.title = `${tab === "chat" ? "Career assistant" : "Interview prep"} · CareerVault`;
  }, [tab]);

  const select = (next: Tab, focus = false) => {
    const p = new URLSearchParams(params);
    if (next === "chat") p.delete("tab");
    else p.set("tab", next);
    setParams(p, { replace: true });
    if (focus) tabRefs.current[next]?.focus();
  };

  // Arrow keys move between tabs (WAI-ARIA tabs pattern, automatic activation).
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const i = TABS.findIndex((t) => t.id === tab);
    let next: number | null = null;
    if (e.key === "ArrowRight") next = (i + 1) % TABS.length;
    else if (e.key === "ArrowLeft") next = (i - 1 + TABS.length) % TABS.length;
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = TABS.length - 1;
    if (next !== null) {
      e.preventDefault();
      select(TABS[next].id, true);
    }
  };

  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold text-slate-900">Assistant</h1>
        <p className="mt-1 text-sm text-slate-600">
          Ask about your search, or get the questions to prepare for an interview.
        </p>
      </div>

      <div role="tablist" aria-label="Assistant" className="flex gap-1 border-b border-slate-200" onKeyDown={onKeyDown}>
        {TABS.map((t) => (
          <button
            key={t.id}
            ref={(el) => {
              tabRefs.current[t.id] = el;
            }}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`panel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            onClick={() => select(t.id)}
            className={`-mb-px border-b-2 px-3 py-2 text-sm font-medium sm:px-4 ${
              tab === t.id ? "border-brand-700 text-brand-800" : "border-transparent text-slate-600 hover:text-slate-900"
            }`}
          >
            {t.label}
          </button>
        ))}
      </div>

      {/* Both panels stay mounted so a conversation survives a look at the other tab. */}
      <div role="tabpanel" id="panel-chat" aria-labelledby="tab-chat" hidden={tab !== "chat"}>
        <ChatPanel jobs={jobs} />
      </div>
      <div role="tabpanel" id="panel-interview" aria-labelledby="tab-interview" hidden={tab !== "interview"}>
        <InterviewPrep jobs={jobs} initialJob={job ? jobName(job) : undefined} />
      </div>
    </div>
  );
}
