from careervault.runtime.server import run
from careervault.runtime.settings import load_settings
from careervault_extraction.app import build_spec
from careervault_extraction.settings import ExtractionSettings


def main() -> None:
    settings = load_settings(ExtractionSettings)
    run(build_spec(settings), settings)


if __name__ == "__main__":
    main()
