"""CareerVault extraction service: resumes (PDF, DOCX, images, text) into text and an outline."""
