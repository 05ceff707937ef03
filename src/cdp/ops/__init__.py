"""Operating the pipeline: reports of failed runs and where they are sent."""
