import { useEffect, useId, useRef, useState } from "react";
import { api } from "../api/client";
import type { CalendarFeed } from "../api/types.gen";
import { ErrorMessage } from "../components/ErrorMessage";
import { Modal } from "../components/Modal";
import { useToast } from "../components/Toast";
import { copyText } from "./clipboard";
import { Section } from "./Section";

/** The feed's full URL on this origin (the API gives a path relative to the gateway). */
export function feedUrl(path: string, origin: string = window.location.origin): string {
  if (/^https?:\/\//i.test(path)) return path;
  return origin.replace(/\/+$/, "") + (path.startsWith("/") ? path : `/${path}`);
}

type State =
  | { kind: "hidden" }
  | { kind: "loading" }
  | { kind: "shown"; feed: CalendarFeed }
  | { kind: "revoked" };

type Confirm = null | "rotate" | "revoke";

/**
 * The private iCalendar feed. The link is fetched (and made, the first time) only when asked
 * for: after a revoke, simply opening Settings must not bring a feed back to life.
 */
export function CalendarFeedSection() {
  const urlId = useId();
  const toast = useToast();
  const [state, setState] = useState<State>({ kind: "hidden" });
  const [error, setError] = useState<unknown>(null);
  const [confirm, setConfirm] = useState<Confirm>(null);
  const [busy, setBusy] = useState(false);

  const show = async () => {
    acted.current = true;
    setState({ kind: "loading" });
    setError(null);
    try {
      setState({ kind: "shown", feed: await api.get<CalendarFeed>("/v1/calendarFeed") });
    } catch (err) {
      setError(err);
      setState({ kind: "hidden" });
    }
  };

  const rotate = async () => {
    acted.current = true;
    setBusy(true);
    setError(null);
    try {
      const feed = await api.post<CalendarFeed>("/v1/calendarFeed:rotate", {});
      setState({ kind: "shown", feed });
      setConfirm(null);
      toast.show("New calendar link made; the old one no longer works");
    } catch (err) {
      setError(err);
      setConfirm(null);
    } finally {
      setBusy(false);
    }
  };

  const revoke = async () => {
    acted.current = true;
    setBusy(true);
    setError(null);
    try {
      await api.del("/v1/calendarFeed");
      setState({ kind: "revoked" });
      setConfirm(null);
      toast.show("Calendar link turned off");
    } catch (err) {
      setError(err);
      setConfirm(null);
    } finally {
      setBusy(false);
    }
  };

  const url = state.kind === "shown" ? feedUrl(state.feed.path) : "";

  // After an action the button that was used may be gone: put focus on what replaced it.
  const urlRef = useRef<HTMLInputElement>(null);
  const showRef = useRef<HTMLButtonElement>(null);
  const acted = useRef(false);
  useEffect(() => {
    if (!acted.current) return;
    if (state.kind === "shown") urlRef.current?.focus();
    else if (state.kind === "revoked") showRef.current?.focus();
  }, [state]);

  return (
    <Section
      id="calendar"
      title="Calendar feed"
      description="Subscribe to your upcoming interviews and next actions from Google Calendar, Apple Calendar or Outlook."
    >
      <div className="space-y-4">
        {state.kind === "shown" ? (
          <>
            <div>
              <label htmlFor={urlId} className="label">
                Your private calendar link
              </label>
              <div className="flex flex-col gap-2 sm:flex-row">
                <input
                  ref={urlRef}
                  id={urlId}
                  className="input min-w-0 flex-1 font-mono text-xs sm:text-sm"
                  value={url}
                  readOnly
                  onFocus={(e) => e.currentTarget.select()}
                  aria-describedby={`${urlId}-help`}
                  data-testid="calendar-url"
                />
                <button
                  type="button"
                  className="btn-secondary shrink-0"
                  onClick={async () => {
                    toast.show((await copyText(url)) ? "Link copied" : "Could not copy; select the link and copy it", "info");
                  }}
                  data-testid="calendar-copy-btn"
                >
                  Copy link
                </button>
              </div>
              <p id={`${urlId}-help`} className="mt-1 text-xs text-slate-600">
                In your calendar app choose “Add calendar from URL” (or “subscribe”) and paste this link. Anyone
                with the link can see these events, so keep it private.
                {state.feed.createTime && ` Made ${new Date(state.feed.createTime).toLocaleDateString()}.`}
              </p>
            </div>
            <div className="flex flex-wrap gap-2">
              <button type="button" className="btn-secondary" onClick={() => setConfirm("rotate")} data-testid="calendar-rotate-btn">
                Make a new link
              </button>
              <button type="button" className="btn-ghost text-red-700 hover:bg-red-50" onClick={() => setConfirm("revoke")} data-testid="calendar-revoke-btn">
                Turn off link
              </button>
            </div>
          </>
        ) : (
          <>
            <p className="text-sm text-slate-600">
              {state.kind === "revoked"
                ? "The link is turned off; calendars subscribed to it no longer get updates. You can make a new one at any time."
                : "A private link that calendar apps can subscribe to. It is made the first time you ask for it."}
            </p>
            <button
              ref={showRef}
              type="button"
              className="btn-primary"
              onClick={() => void show()}
              disabled={state.kind === "loading"}
              data-testid="calendar-show-btn"
            >
              {state.kind === "loading" ? "Loading…" : state.kind === "revoked" ? "Make a new link" : "Show my calendar link"}
            </button>
          </>
        )}
        <ErrorMessage error={error} />
      </div>

      <Modal
        open={confirm === "rotate"}
        onClose={() => !busy && setConfirm(null)}
        title="Make a new calendar link?"
        size="sm"
        footer={
          <>
            <button type="button" className="btn-secondary" onClick={() => setConfirm(null)} disabled={busy}>
              Cancel
            </button>
            <button type="button" className="btn-primary" onClick={() => void rotate()} disabled={busy} data-testid="calendar-rotate-confirm">
              {busy ? "Making…" : "Make a new link"}
            </button>
          </>
        }
      >
        <p className="text-sm text-slate-700">
          The current link stops working at once. Calendars subscribed to it stop updating until you give them the
          new link.
        </p>
      </Modal>
      <Modal
        open={confirm === "revoke"}
        onClose={() => !busy && setConfirm(null)}
        title="Turn off the calendar link?"
        size="sm"
        footer={
          <>
            <button type="button" className="btn-secondary" onClick={() => setConfirm(null)} disabled={busy}>
              Cancel
            </button>
            <button type="button" className="btn-danger" onClick={() => void revoke()} disabled={busy} data-testid="calendar-revoke-confirm">
              {busy ? "Turning off…" : "Turn off link"}
            </button>
          </>
        }
      >
        <p className="text-sm text-slate-700">
          The link stops working at once and calendars subscribed to it no longer get updates. You can make a new
          link later.
        </p>
      </Modal>
    </Section>
  );
}

export default CalendarFeedSection;
