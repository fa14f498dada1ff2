// The career-assistant conversation: sends the history, appends each streamed delta to the
// answer as it arrives, and can be stopped (AbortController).
import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "../api/client";
import type { ChatMessage, ChatResponse, ProviderInfo } from "../api/types.gen";
import { describeError } from "./errors";

export interface Message {
  id: number;
  role: "user" | "assistant";
  content: string;
  provider?: ProviderInfo;
  /** Why the answer broke off or could not start. */
  error?: string;
  streaming?: boolean;
  stopped?: boolean;
}

/** The service accepts 50 messages; Gemini reads the last 20. Send the most recent ones. */
export const HISTORY_LIMIT = 20;
export const MESSAGE_LIMIT = 8000;

/** The request's messages: the conversation so far (answers that failed left out), ending
 * with the new user message, at most HISTORY_LIMIT, starting with a user message. */
export function history(messages: Message[], text: string): ChatMessage[] {
  const turns: ChatMessage[] = messages
    .filter((m) => m.content.trim())
    .map((m) => ({ role: m.role, content: m.content }));
  turns.push({ role: "user", content: text });
  let recent = turns.slice(-HISTORY_LIMIT);
  while (recent.length > 1 && recent[0].role !== "user") recent = recent.slice(1);
  return recent;
}

function streamError(err: NonNullable<ChatResponse["error"]>): string {
  const message = err.message?.trim();
  if (err.code === "RESOURCE_EXHAUSTED") return "The assistant is busy. Try again in a few seconds.";
  if (err.code === "DEADLINE_EXCEEDED") return "The answer took too long and was cut off. Try again.";
  return message ? `The answer broke off: ${message}` : "The answer broke off. Try again.";
}

export function useChat(job?: string) {
  const [messages, setMessages] = useState<Message[]>([]);
  const [streaming, setStreaming] = useState(false);
  const current = useRef<AbortController | null>(null);
  const latest = useRef<Message[]>([]);
  const nextId = useRef(1);
  latest.current = messages;

  useEffect(() => () => current.current?.abort(), []);

  const update = (id: number, change: (m: Message) => Message) =>
    setMessages((ms) => ms.map((m) => (m.id === id ? change(m) : m)));

  const send = useCallback(
    async (raw: string) => {
      const text = raw.trim();
      if (!text || current.current) return;
      const turns = history(latest.current, text);
      const userMsg: Message = { id: nextId.current++, role: "user", content: text };
      const answerId = nextId.current++;
      setMessages((ms) => [...ms, userMsg, { id: answerId, role: "assistant", content: "", streaming: true }]);
      const controller = new AbortController();
      current.current = controller;
      setStreaming(true);
      try {
        await api.stream<ChatResponse>(
          "/v1/assistant:chat",
          job ? { messages: turns, job } : { messages: turns },
          (msg) => {
            update(answerId, (m) => ({
              ...m,
              content: m.content + (msg.delta ?? ""),
              provider: msg.provider ?? m.provider,
              error: msg.error ? streamError(msg.error) : m.error,
              streaming: msg.done || msg.error ? false : m.streaming,
            }));
          },
          controller.signal,
        );
        update(answerId, (m) => ({
          ...m,
          streaming: false,
          error: m.error ?? (m.content ? undefined : "No answer came back. Try again."),
        }));
      } catch (err) {
        if (controller.signal.aborted || (err instanceof DOMException && err.name === "AbortError")) {
          update(answerId, (m) => ({ ...m, streaming: false, stopped: true }));
        } else {
          update(answerId, (m) => ({ ...m, streaming: false, error: describeError(err) }));
        }
      } finally {
        if (current.current === controller) current.current = null;
        setStreaming(false);
      }
    },
    [job],
  );

  const stop = useCallback(() => {
    current.current?.abort();
  }, []);

  const reset = useCallback(() => {
    current.current?.abort();
    setMessages([]);
  }, []);

  return { messages, streaming, send, stop, reset };
}
