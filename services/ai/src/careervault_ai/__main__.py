from careervault.runtime.server import run
from careervault.runtime.settings import load_settings
from careervault_ai.app import build_spec
from careervault_ai.settings import AiSettings


def main() -> None:
    settings = load_settings(AiSettings)
    run(build_spec(settings), settings)


if __name__ == "__main__":
    main()
