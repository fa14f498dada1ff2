// One application for the detail page: load, save changed fields with the etag it was read
// with, and notice when someone else changed it (409) so the page can offer a reload.
import { useCallback, useEffect, useRef, useState } from "react";
import { isConflict, isNotFound, jobsApi } from "./api";
import type { Job, JobField } from "./model";

export interface JobState {
  job: Job | null;
  loading: boolean;
  notFound: boolean;
  loadError: unknown;
  /** A save failed because the application changed since it was read. */
  conflict: boolean;
  reloading: boolean;
  /** Saves `fields` (their values taken from `changes`); throws ApiError on failure. */
  save: (changes: Partial<Job>, fields: JobField[]) => Promise<Job>;
  reload: () => Promise<void>;
  remove: () => Promise<void>;
  reportConflict: () => void;
}

export function useJob(id: string): JobState {
  const [job, setJob] = useState<Job | null>(null);
  const [loading, setLoading] = useState(true);
  const [notFound, setNotFound] = useState(false);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [conflict, setConflict] = useState(false);
  const [reloading, setReloading] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const jobRef = useRef<Job | null>(null);
  jobRef.current = job;

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setNotFound(false);
    setLoadError(null);
    setConflict(false);
    jobsApi
      .get(id, controller.signal)
      .then((j) => {
        setJob(j);
        setLoading(false);
      })
      .catch((err: unknown) => {
        if (controller.signal.aborted) return;
        if (isNotFound(err)) setNotFound(true);
        else setLoadError(err);
        setJob(null);
        setLoading(false);
      });
    return () => controller.abort();
  }, [id, attempt]);

  const save = useCallback(async (changes: Partial<Job>, fields: JobField[]) => {
    const current = jobRef.current;
    if (!current) throw new Error("not loaded");
    try {
      const saved = await jobsApi.update(current, changes, fields);
      setJob(saved);
      setConflict(false);
      return saved;
    } catch (err) {
      if (isConflict(err)) setConflict(true);
      if (isNotFound(err)) setNotFound(true);
      throw err;
    }
  }, []);

  const reload = useCallback(async () => {
    setReloading(true);
    try {
      const latest = await jobsApi.get(id);
      setJob(latest);
      setConflict(false);
    } catch (err) {
      if (isNotFound(err)) setNotFound(true);
      else setLoadError(err);
    } finally {
      setReloading(false);
    }
  }, [id]);

  const remove = useCallback(async () => {
    const current = jobRef.current;
    if (!current) return;
    try {
      await jobsApi.remove(current);
    } catch (err) {
      if (isConflict(err)) setConflict(true);
      throw err;
    }
  }, []);

  const reportConflict = useCallback(() => setConflict(true), []);

  return {
    job,
    loading,
    notFound,
    loadError,
    conflict,
    reloading,
    save,
    reload: loadError && !job ? async () => setAttempt((a) => a + 1) : reload,
    remove,
    reportConflict,
  };
}
