from careervault.runtime.server import run
from careervault.runtime.settings import load_settings
from careervault_jobs.app import build_spec
from careervault_jobs.settings import JobsSettings


def main() -> None:
    settings = load_settings(JobsSettings)
    run(build_spec(settings), settings)


if __name__ == "__main__":
    main()
