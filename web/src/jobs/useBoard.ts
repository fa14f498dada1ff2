// The board's data: every application (loaded page by page), optimistic moves that roll back
// with a readable error, and newly added applications.
import { useCallback, useEffect, useRef, useState } from "react";
import { friendlyMessage } from "../api/client";
import { isConflict, jobsApi, listAllJobs } from "./api";
import type { Job, Status } from "./model";
import { STATUS_LABELS, jobTitle } from "./model";

export interface BoardError {
  message: string;
  /** True for a 409: someone else changed the application; the fix is to reload. */
  conflict: boolean;
}

export interface BoardState {
  jobs: Job[];
  loading: boolean;
  /** The list could not be loaded. */
  loadError: unknown;
  /** A move failed (it was rolled back). */
  moveError: BoardError | null;
  /** The latest successful move, for the polite live region. */
  notice: string;
  total: number;
  truncated: boolean;
  pending: ReadonlySet<string>;
  reload: () => void;
  move: (job: Job, status: Status) => Promise<void>;
  added: (job: Job) => void;
  dismissError: () => void;
}

export function useBoard(): BoardState {
  const [jobs, setJobs] = useState<Job[]>([]);
  const [loading, setLoading] = useState(true);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [moveError, setMoveError] = useState<BoardError | null>(null);
  const [notice, setNotice] = useState("");
  const [total, setTotal] = useState(0);
  const [truncated, setTruncated] = useState(false);
  const [pending, setPending] = useState<ReadonlySet<string>>(new Set());
  const [generation, setGeneration] = useState(0);
  const jobsRef = useRef(jobs);
  jobsRef.current = jobs;

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setLoadError(null);
    listAllJobs(controller.signal)
      .then((r) => {
        setJobs(r.jobs);
        setTotal(r.total);
        setTruncated(r.truncated);
        setLoading(false);
      })
      .catch((err: unknown) => {
        if (controller.signal.aborted) return;
        setLoadError(err);
        setLoading(false);
      });
    return () => controller.abort();
  }, [generation]);

  const reload = useCallback(() => {
    setMoveError(null);
    setGeneration((g) => g + 1);
  }, []);

  const replace = (name: string, job: Job) => setJobs((js) => js.map((j) => (j.name === name ? job : j)));

  const move = useCallback(async (job: Job, status: Status) => {
    const current = jobsRef.current.find((j) => j.name === job.name) ?? job;
    if (current.status === status) return;
    setMoveError(null);
    setPending((p) => new Set(p).add(job.name));
    replace(job.name, { ...current, status }); // optimistic
    try {
      const saved = await jobsApi.move(current, status);
      replace(job.name, saved);
      setNotice(`Moved ${jobTitle(current)} to ${STATUS_LABELS[status]}.`);
    } catch (err) {
      replace(job.name, current); // roll back
      const conflict = isConflict(err);
      setMoveError({
        conflict,
        message: conflict
          ? `Someone else changed “${jobTitle(current)}” in the meantime, so it was not moved. Reload to see the latest version, then try again.`
          : `“${jobTitle(current)}” could not be moved to ${STATUS_LABELS[status]}: ${friendlyMessage(err)}`,
      });
    } finally {
      setPending((p) => {
        const next = new Set(p);
        next.delete(job.name);
        return next;
      });
    }
  }, []);

  const added = useCallback((job: Job) => {
    setJobs((js) => [job, ...js.filter((j) => j.name !== job.name)]);
    setTotal((t) => t + 1);
  }, []);

  const dismissError = useCallback(() => setMoveError(null), []);

  return { jobs, loading, loadError, moveError, notice, total, truncated, pending, reload, move, added, dismissError };
}
