// The caller's saved jobs for the pickers (most recently changed first, up to 200).
import { useCallback, useEffect, useState } from "react";
import type { JobApplication } from "../api/types.gen";
import { jobsApi } from "../jobs/api";

export interface JobsState {
  jobs: JobApplication[];
  loading: boolean;
  error: unknown;
  reload: () => void;
}

export function useJobs(): JobsState {
  const [jobs, setJobs] = useState<JobApplication[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    const c = new AbortController();
    setLoading(true);
    jobsApi
      .list({ pageSize: 200, orderBy: "update_time desc" }, c.signal)
      .then((r) => {
        setJobs(r.jobs);
        setError(null);
      })
      .catch((err: unknown) => {
        if (!c.signal.aborted) setError(err);
      })
      .finally(() => {
        if (!c.signal.aborted) setLoading(false);
      });
    return () => c.abort();
  }, [version]);

  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return { jobs, loading, error, reload };
}

export function jobLabel(job: Pick<JobApplication, "company" | "position">): string {
  return [job.company, job.position].filter(Boolean).join(" — ");
}
