from careervault.runtime.server import run
from careervault.runtime.settings import load_settings
from careervault_identity.app import build_spec
from careervault_identity.settings import IdentitySettings


def main() -> None:
    settings = load_settings(IdentitySettings)
    run(build_spec(settings), settings)


if __name__ == "__main__":
    main()
