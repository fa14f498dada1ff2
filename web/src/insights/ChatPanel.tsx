// The career-assistant chat: the conversation, a composer (Enter sends, Shift+Enter is a new
// line) and Stop while an answer streams in. The message list is a live log; it is marked busy
// while an answer streams, so a screen reader reads the answer once it is complete.
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { Spinner } from "../components/Spinner";
import JobPicker from "./JobPicker";
import ProviderBadge from "./ProviderBadge";
import { MESSAGE_LIMIT, useChat, type Message } from "./useChat";
import type { JobsState } from "./useJobs";

export const STARTERS = [
  "How is my job search going?",
  "What should I follow up on this week?",
  "How do I negotiate an offer?",
  "How do I prepare for my next interview?",
];

function Bubble({ message }: { message: Message }) {
  if (message.role === "user") {
    return (
      <li className="flex justify-end" data-testid="chat-message" data-role="user">
        <div className="max-w-[85%] whitespace-pre-wrap break-words rounded-2xl rounded-br-sm bg-brand-700 px-4 py-2 text-sm text-white">
          <span className="sr-only">You: </span>
          {message.content}
        </div>
      </li>
    );
  }
  return (
    <li className="flex justify-start" data-testid="chat-message" data-role="assistant">
      <div className="max-w-[92%] space-y-2 rounded-2xl rounded-bl-sm border border-slate-200 bg-white px-4 py-3 text-sm text-slate-900 shadow-sm">
        <ProviderBadge provider={message.provider} compact />
        <span className="sr-only">Assistant:</span>
        <p className="whitespace-pre-wrap break-words" data-testid="chat-answer">
          {message.content}
          {message.streaming && (
            <span className="ml-0.5 inline-block h-4 w-1.5 animate-pulse bg-slate-400 align-text-bottom" aria-hidden="true" />
          )}
        </p>
        {message.streaming && !message.content && (
          <span className="flex items-center gap-2 text-slate-600">
            <Spinner className="h-4 w-4" /> Thinking…
          </span>
        )}
        {message.stopped && (
          <p className="text-xs italic text-slate-600" data-testid="chat-stopped">
            Stopped.
          </p>
        )}
        {message.error && (
          <p className="text-sm text-red-800" role="alert" data-testid="chat-error">
            {message.error}
          </p>
        )}
      </div>
    </li>
  );
}

export default function ChatPanel({ jobs }: { jobs: JobsState }) {
  const [job, setJob] = useState("");
  const { messages, streaming, send, stop, reset } = useChat(job || undefined);
  const [draft, setDraft] = useState("");
  const listRef = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const stick = useRef(true);
  const inputId = useId();
  const hintId = useId();

  // Follow the answer as it grows, unless the reader scrolled up.
  useEffect(() => {
    const el = listRef.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [messages]);

  const submit = (text: string) => {
    if (!text.trim() || streaming) return;
    stick.current = true;
    void send(text);
    setDraft("");
    inputRef.current?.focus();
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    submit(draft);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit(draft);
    }
  };

  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-end sm:justify-between">
        <div className="min-w-0 sm:w-96">
          {jobs.jobs.length > 0 ? (
            <JobPicker
              id="chat-job"
              label="About a job (optional)"
              state={jobs}
              value={job}
              onChange={setJob}
              placeholder="My whole search"
              markMissingDescription={false}
            />
          ) : null}
        </div>
        {messages.length > 0 && (
          <button type="button" className="btn-ghost self-start sm:self-auto" onClick={reset}>
            New conversation
          </button>
        )}
      </div>

      <div
        ref={listRef}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
        className="h-[55vh] min-h-72 overflow-y-auto rounded-xl border border-slate-200 bg-slate-50 p-3 sm:p-4"
        tabIndex={0}
        role="region"
        aria-label="Conversation"
        data-testid="chat-log"
      >
        {messages.length === 0 ? (
          <div className="flex h-full flex-col items-center justify-center gap-4 text-center">
            <div>
              <p className="font-medium text-slate-900">Ask about your search</p>
              <p className="mt-1 text-sm text-slate-600">
                The assistant knows your applications. Try one of these:
              </p>
            </div>
            <div className="flex max-w-xl flex-wrap justify-center gap-2">
              {STARTERS.map((s) => (
                <button
                  key={s}
                  type="button"
                  className="rounded-full border border-slate-300 bg-white px-3 py-1.5 text-sm text-slate-800 hover:border-brand-600 hover:text-brand-800"
                  onClick={() => submit(s)}
                >
                  {s}
                </button>
              ))}
            </div>
          </div>
        ) : (
          <div role="log" aria-live="polite" aria-busy={streaming} aria-label="Messages">
            <ol className="space-y-3">
              {messages.map((m) => (
                <Bubble key={m.id} message={m} />
              ))}
            </ol>
          </div>
        )}
      </div>

      <form onSubmit={onSubmit} className="flex flex-col gap-2 sm:flex-row sm:items-end">
        <div className="min-w-0 flex-1">
          <label htmlFor={inputId} className="sr-only">
            Your message
          </label>
          <textarea
            ref={inputRef}
            id={inputId}
            rows={2}
            maxLength={MESSAGE_LIMIT}
            className="input resize-y"
            placeholder="Ask the assistant…"
            aria-describedby={hintId}
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={onKeyDown}
            data-testid="chat-input"
          />
          <p id={hintId} className="mt-1 text-xs text-slate-600">
            Enter sends; Shift+Enter starts a new line.
          </p>
        </div>
        {streaming ? (
          <button
            type="button"
            className="btn-secondary sm:mb-6"
            onClick={() => {
              stop();
              inputRef.current?.focus();
            }}
            data-testid="chat-stop"
          >
            <span aria-hidden="true">■</span> Stop
          </button>
        ) : (
          <button type="submit" className="btn-primary sm:mb-6" disabled={!draft.trim()} data-testid="chat-send">
            Send
          </button>
        )}
      </form>
    </div>
  );
}
