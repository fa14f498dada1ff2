"""The `local` provider's engine: deterministic, offline resume-to-job analysis.

- `taxonomy`: skills named in a text (Lightcast Open Skills + project aliases).
- `jd`: a job description read into required and nice-to-have skills, years, degree.
- `resume`: a resume read into lines, bullets, skills with evidence, years, degree.
- `embeddings`: all-MiniLM-L6-v2 (int8 ONNX) sentence vectors, cached.
- `analysis`: `analyze(resume, job) -> ResumeAnalysis`, `WEIGHTS`, `MODEL_VERSION`.
- `interview`, `letters`, `chat`: interview questions, cover letters and the assistant's
  answers, from templates filled with the analysis.
- `provider`: `LocalProvider`, the above behind the Provider port.
"""
