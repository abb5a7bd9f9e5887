"""Evidence triage: walk -> hash -> identify -> match -> record, as a resumable batch job."""
