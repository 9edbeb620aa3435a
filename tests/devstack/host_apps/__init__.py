"""Small function apps the dev host tests serve, and how the tests serve them.

Each app is loaded afresh per test (``get_functions()`` may run once per app object), so
module-level state such as a barrier starts new every time.
"""
