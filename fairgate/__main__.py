from fairgate.app.cli import app

app()
