import { describe, expect, it } from "vitest";
import { buildFilter, EMPTY_FILTERS, orderByOf, violationsByField } from "./api";
import { ApiError } from "../api/client";
import { diffDrafts, draftFromJob, draftToNewJob, emptyDraft } from "./jobDraft";
import {
  STATUSES,
  dateToInput,
  durationToMinutes,
  formatSalary,
  groupByStatus,
  inputToDate,
  minutesToDuration,
  newRequestId,
  parseTags,
} from "./model";
import { makeJob } from "./test-utils";

describe("groupByStatus", () => {
  it("puts every application in its stage's column, and unknown ones in Applied", () => {
    const jobs = [
      makeJob({ status: "APPLIED" }),
      makeJob({ status: "PHONE_SCREEN" }),
      makeJob({ status: "PHONE_SCREEN" }),
      makeJob({ status: "OFFER" }),
      makeJob({ status: "STATUS_UNSPECIFIED" }),
    ];
    const groups = groupByStatus(jobs);
    expect(Object.keys(groups)).toEqual([...STATUSES]);
    expect(groups.APPLIED).toHaveLength(2);
    expect(groups.PHONE_SCREEN).toHaveLength(2);
    expect(groups.OFFER).toHaveLength(1);
    expect(groups.REJECTED).toHaveLength(0);
    expect(Object.values(groups).flat()).toHaveLength(jobs.length);
  });
});

describe("the list filter", () => {
  it("is empty without filters", () => {
    expect(buildFilter(EMPTY_FILTERS)).toBe("");
  });

  it("joins search, stage, tag and dates with AND, quoting text safely", () => {
    expect(
      buildFilter({ search: ' say "hi" \\ ', status: "PHONE_SCREEN", tag: "remote", appliedFrom: "2026-01-01", appliedTo: "2026-02-01" }),
    ).toBe('"say \\"hi\\" \\\\" AND status = PHONE_SCREEN AND tags : "remote" AND applied_date >= 2026-01-01 AND applied_date <= 2026-02-01');
  });

  it("orders by a field, descending when asked", () => {
    expect(orderByOf({ field: "company", desc: false })).toBe("company");
    expect(orderByOf({ field: "update_time", desc: true })).toBe("update_time desc");
  });
});

describe("conversions", () => {
  it("round-trips dates, durations and tags", () => {
    expect(dateToInput({ year: 2026, month: 3, day: 7 })).toBe("2026-03-07");
    expect(inputToDate("2026-03-07")).toEqual({ year: 2026, month: 3, day: 7 });
    expect(inputToDate("")).toBeUndefined();
    expect(dateToInput(undefined)).toBe("");
    expect(durationToMinutes(minutesToDuration(45))).toBe(45);
    expect(parseTags(" python, Remote ,, remote,sre ")).toEqual(["python", "Remote", "sre"]);
  });

  it("formats a salary range", () => {
    expect(formatSalary({ min: 1000, max: 2000, currency: "", period: "MONTHLY" })).toMatch(/1,000 – 2,000 per month/);
    expect(formatSalary(undefined)).toBe("");
  });

  it("makes UUID request ids", () => {
    expect(newRequestId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe("drafts", () => {
  it("sends only what was filled in for a new application", () => {
    const draft = { ...emptyDraft("2026-11-20"), company: " Acme ", position: "SRE", tags: "a, b", salaryMin: "100" };
    expect(draftToNewJob(draft)).toEqual({
      company: "Acme",
      position: "SRE",
      status: "APPLIED",
      appliedDate: { year: 2026, month: 11, day: 20 },
      salary: { min: 100, max: 0, currency: "", period: "YEARLY" },
      tags: ["a", "b"],
    });
  });

  it("names only the changed fields in the update mask", () => {
    const job = makeJob({ location: "Berlin", tags: ["x"], salary: { min: 1, max: 2, currency: "EUR", period: "YEARLY" } });
    const base = draftFromJob(job);
    expect(diffDrafts(base, base, ["company", "location", "tags", "salary"]).mask).toEqual([]);
    const { mask, changes } = diffDrafts(base, { ...base, location: "Hamburg", salaryMin: "", salaryMax: "" }, [
      "company",
      "location",
      "tags",
      "salary",
    ]);
    expect(mask).toEqual(["location", "salary"]);
    // A cleared salary is named in the mask without a value: the service clears it.
    expect(changes).toEqual({ location: "Hamburg" });
  });
});

describe("violationsByField", () => {
  it("keys the service's field violations by JSON name", () => {
    const err = new ApiError({
      status: 400,
      violations: [
        { field: "job_url", description: "must be an http(s) URL" },
        { field: "salary.max", description: "max must not be below min" },
        { field: "next_action.due_date", description: "not a valid calendar date" },
      ],
    });
    expect(violationsByField(err)).toEqual({
      jobUrl: "Must be an http(s) URL.",
      "salary.max": "Max must not be below min.",
      "nextAction.dueDate": "Not a valid calendar date.",
    });
  });
});
