"""Maintainer tools, not part of the course: ``python -m batchlab.tools.site`` builds the website.

>>> import batchlab.tools
>>> batchlab.tools.__name__
'batchlab.tools'
"""
