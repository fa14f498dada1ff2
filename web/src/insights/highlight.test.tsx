import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { findSkill, HighlightedText, skillTerms } from "./highlight";

function marked(text: string, skill: string): string[] {
  return findSkill(text, skill).map(([a, b]) => text.slice(a, b));
}

describe("findSkill", () => {
  it("finds the skill in any case, as a whole word", () => {
    expect(marked("Built services in python and PYTHON 3.", "Python")).toEqual(["python", "PYTHON"]);
    expect(marked("JavaScript and TypeScript", "Java")).toEqual([]);
    expect(marked("Used Java, then Kotlin.", "Java")).toEqual(["Java"]);
  });

  it("uses well-known aliases and the distinctive words of a longer name", () => {
    expect(marked("Ran k8s clusters for five teams.", "Kubernetes")).toEqual(["k8s"]);
    expect(marked("Python, Go, Kafka, Terraform", "Apache Kafka")).toEqual(["Kafka"]);
    expect(marked("Deployed on AWS and Postgres.", "Amazon Web Services (AWS)")).toEqual(["AWS"]);
    expect(marked("Deployed on Postgres 15.", "PostgreSQL")).toEqual(["Postgres"]);
  });

  it("matches short names only as written, and not inside other words", () => {
    expect(marked("Services in Python and Go.", "Go")).toEqual(["Go"]);
    expect(marked("We go to market at Google.", "Go")).toEqual([]);
    expect(marked("Wrote C++ and C# daily.", "C++")).toEqual(["C++"]);
    expect(marked("Wrote C++ and C# daily.", "C#")).toEqual(["C#"]);
  });

  it("prefers the full name over its parts", () => {
    expect(marked("Spark Streaming jobs, and Apache Kafka topics", "Apache Kafka")).toEqual(["Apache Kafka"]);
    expect(skillTerms("Amazon Web Services (AWS)")).toEqual(
      expect.arrayContaining(["Amazon Web Services (AWS)", "Amazon Web Services", "AWS"]),
    );
  });

  it("finds nothing in a sentence without the skill", () => {
    expect(marked("Led a team of four engineers.", "React")).toEqual([]);
  });
});

describe("HighlightedText", () => {
  it("wraps each occurrence in <mark> and keeps the rest of the sentence", () => {
    const { container } = render(<HighlightedText text="Led a migration to Kubernetes; ran kubernetes on-call." skill="Kubernetes" />);
    const marks = [...container.querySelectorAll("mark")].map((m) => m.textContent);
    expect(marks).toEqual(["Kubernetes", "kubernetes"]);
    expect(container.textContent).toBe("Led a migration to Kubernetes; ran kubernetes on-call.");
  });

  it("shows the sentence unmarked when the skill is not in it", () => {
    const { container } = render(<HighlightedText text="Python, Go, Terraform" skill="React" />);
    expect(container.querySelector("mark")).toBeNull();
    expect(container.textContent).toBe("Python, Go, Terraform");
  });
});
