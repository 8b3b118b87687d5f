import sys

from kubequest.cli import main

sys.exit(main())
