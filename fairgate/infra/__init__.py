"""Old import paths that models logged by fairgate 0.1 still name (see ``pyfunc``)."""
