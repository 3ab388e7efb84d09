"""python -m labelaudit"""

from labelaudit.cli import main

main()
