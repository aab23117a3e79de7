"""Reports: Biểu 06/VPCP/KSTT, the Decision 766 self-assessment, handling times, the dashboard.

Counting happens in SQL; see periods.py for the Decree 09/2019 windows and calendar periods.
"""
